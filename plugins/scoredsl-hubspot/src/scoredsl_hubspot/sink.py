"""The ``hubspot:`` sink: scores, tiers, status and reason written into contact properties, or,
for company models (``model NAME for company``, ``--company-sink``), into company properties
through the same endpoints of ``/crm/v3/objects/companies``, with the same guarantees and a
checkpoint of its own. Below, "contact" stands for either.

**Only what changed is sent.** The sink compares each result with what HubSpot holds and
sends only contacts with at least one different value, through
``POST /crm/v3/objects/contacts/batch/update`` with at most 100 contacts per request. Current
values come from the HubSpot source of the same portal when there is one (it reads the score
properties along with the contacts, at no extra request; see :mod:`scoredsl_hubspot.hub`);
for any other contact the sink reads them itself with ``POST .../batch/read``, 100 contacts
per request. An unchanged nightly run therefore sends reads only.

**Nothing is sent before the run is complete.** Rows are compared as they arrive; the
updates are sent on :meth:`HubSpotSink.commit`, after every contact was scored, so a run that
fails on bad data or a rule error writes nothing. (HubSpot has no transactions: a commit that
stops half-way leaves the batches already sent in place, and the checkpoint says which.)

**Faults.** A batch that fails with a 5xx or a broken connection may or may not have been
applied: the sink re-reads those contacts (batch read), sends again only those that do not
hold their new values, and so never updates a contact twice. A ``DAILY`` 429 stops the run
with a message and a checkpoint (:mod:`scoredsl_hubspot.checkpoint`): running the same
command again finishes the job. Batches HubSpot rejects (400, or contacts missing in a 207
answer) are reported with their contact ids, the other batches are still sent, and the run
exits with 1; three failed batches in a row stop it (exit 2).

**Dry run** (``dry_run=true``): prints, on standard output, how many contacts would change,
the count of each tier transition (``lead -> mql``) and the first ``show`` changes, and sends
no update.
"""

from __future__ import annotations

import collections
import decimal
import sys
import time
from typing import Any, Mapping

from scoredsl.api import ResultRow, RunInfo, Sink, SinkError, Spec

from . import hub
from .checkpoint import Journal, Previous
from .client import HubSpotClient
from .errors import (EXIT_ERROR, EXIT_FINDINGS, AmbiguousWrite, DailyLimitReached, HubSpotError, RequestFailed,
                     RunStopped)
from .layout import Column, ModelShape, columns_for
from .options import SinkSettings, sink_settings
from .progress import Progress

__all__ = ["open_sink", "HubSpotSink"]

_TYPES_OK = {"score": {"number"}, "tier": {"enumeration", "string"}, "status": {"enumeration", "string"},
             "reason": {"string", "enumeration"}}
_STOP_AFTER_FAILED_BATCHES = 3


def open_sink(spec: Spec) -> "HubSpotSink":
    settings = sink_settings(spec)
    return HubSpotSink(settings, hub.client_for(settings.client))


class HubSpotSink(Sink):
    def __init__(self, settings: SinkSettings, client: HubSpotClient, *, out=None):
        self.settings = settings
        self.client = client
        self.portal = hub.portal_for(settings.client)
        self.out = out                                  # where the dry-run report goes (stdout)
        self.run: RunInfo | None = None
        self.columns: list[Column] = []
        self.changes: dict[str, dict[str, str]] = {}     # contact -> property -> new value
        self.before: dict[str, dict[str, str | None]] = {}   # contact -> property -> value HubSpot holds
        self.unknown: dict[str, dict[str, str]] = {}     # contact -> targets, current values not known yet
        self.contacts = 0
        self.unchanged = 0
        self.trusted = 0                                # skipped: written by the interrupted run
        self.failures: list[tuple[int, list[str], str]] = []   # (batch, contact ids, why)
        self.written = 0
        self.batches_sent = 0
        self.previous: Previous | None = None
        self.object_type = "contacts"                   # or "companies": set by open()
        self.journal = Journal(settings.checkpoint_path())
        self._labels: dict[str, set[str]] = {}          # enumeration property -> allowed values
        self._bad_labels: dict[str, set[str]] = collections.defaultdict(set)
        self._seen: set[str] = set()
        self._started = 0.0
        if self.portal.progress is None:
            progress = Progress(settings.client.portal, settings.client.progress)
            progress.requests = lambda: client.stats.requests
            self.portal.progress = progress
        self.progress: Progress = self.portal.progress  # type: ignore[assignment]

    # ---------------------------------------------------------------- the Sink contract
    def open(self, run: RunInfo) -> None:
        if self.run is not None:
            raise SinkError(f"{self.settings.text}: the sink is already open")
        self._started = time.monotonic()
        self.object_type = "companies" if run.subject == "company" else "contacts"
        if self.object_type != "contacts":
            self.journal = Journal(self.settings.checkpoint_path(self.object_type))
        shapes = [ModelShape(m.name, m.scores, m.tiers, version=m.version) for m in run.models]
        try:
            self.columns = columns_for(shapes, self.settings)
            definitions = self.client.properties(self.object_type)
        except (SinkError, HubSpotError) as exc:
            raise RunStopped(f"{self.settings.text}: {exc}" if isinstance(exc, HubSpotError) else str(exc)) from None
        missing = [c.hubspot for c in self.columns if c.hubspot not in definitions]
        if missing:
            raise RunStopped(f"{self.settings.text}: HubSpot has no {self.noun} "
                             f"properties {', '.join(missing)}; create "
                             "them with: scoredsl hubspot setup RULES.score --sink SPEC (nothing was read or written)")
        wrong = [f"{c.hubspot} is a {definitions[c.hubspot].get('type')} property, {c.kind}s need "
                 f"{' or '.join(sorted(_TYPES_OK[c.kind]))}" for c in self.columns
                 if definitions[c.hubspot].get("type") not in _TYPES_OK[c.kind]]
        if wrong:
            raise RunStopped(f"{self.settings.text}: {'; '.join(wrong)}")
        for column in self.columns:
            definition = definitions[column.hubspot]
            if definition.get("type") == "enumeration":
                self._labels[column.hubspot] = {o.get("value") for o in definition.get("options", [])}
        self._types = {c.hubspot: definitions[c.hubspot].get("type") for c in self.columns}
        self.previous = self.journal.load()
        if self.object_type == "contacts":     # a HubSpot source of the portal reads these along
            self.portal.sink_properties.update(c.hubspot for c in self.columns)
            self.portal.sink_open = True
        self.run = run

    def write(self, row: ResultRow) -> None:
        if self.run is None:
            raise SinkError(f"{self.settings.text}: write() outside open() ... commit()")
        self.run.model(row.model)
        targets = self._targets(row)
        contact = row.subject_id
        if contact not in self._seen:
            self._seen.add(contact)
            self.contacts += 1
        current = self.portal.current.get(contact) if self.object_type == "contacts" else None
        if current is None or (self.previous is not None and contact in self.previous.unconfirmed):
            self.unknown.setdefault(contact, {}).update(targets)
            return
        self._compare(contact, targets, current)

    def commit(self) -> None:
        if self.run is None:
            raise SinkError(f"{self.settings.text}: commit() without open()")
        try:
            self._resolve_unknown()
            self._check_labels()
            if self.settings.dry_run:
                self._report_dry_run()
            else:
                self._send_all()
        except DailyLimitReached as exc:
            self._stop_daily(exc)
        except (RequestFailed, HubSpotError) as exc:
            self.journal.stopped(str(exc))
            self.journal.close()
            raise RunStopped(f"{self.settings.text}: {exc}{self._so_far()}", EXIT_ERROR) from None
        finally:
            self.run = None
        if self.object_type == "contacts":
            self.portal.sink_committed = not self.failures
        self._summary()
        if self.failures:
            self._report_failures()

    def abort(self) -> None:
        self.journal.close()
        self.run = None

    # ---------------------------------------------------------------- comparing
    @property
    def noun(self) -> str:
        return "company" if self.object_type == "companies" else "contact"

    def _targets(self, row: ResultRow) -> dict[str, str]:
        out: dict[str, str] = {}
        for column in self.columns:
            if column.model != row.model:
                continue
            if column.kind == "score":
                value = row.scores.get(column.name)
                text = "" if value is None else _number_text(value)
            elif column.kind == "tier":
                label = row.tiers.get(column.name)
                text = "" if label is None else str(label)
                if text and column.hubspot in self._labels and text not in self._labels[column.hubspot]:
                    self._bad_labels[column.hubspot].add(text)
            elif column.kind == "status":
                text = row.status
                if column.hubspot in self._labels and text not in self._labels[column.hubspot]:
                    self._bad_labels[column.hubspot].add(text)
            else:
                text = row.reason or ""
            out[column.hubspot] = text
        return out

    def _compare(self, contact: str, targets: Mapping[str, str], current: Mapping[str, str | None]) -> None:
        written = self.previous.written.get(contact, {}) if self.previous is not None else {}
        changed = {}
        for name, target in targets.items():
            held = current.get(name)
            if _same(held, target, self._types.get(name)):
                continue
            if self.portal.current_from_search and written.get(name) == target:
                self.trusted += 1          # the interrupted run wrote it; the search index lags
                continue
            changed[name] = target
            self.before.setdefault(contact, {})[name] = held
        if changed:
            self.changes.setdefault(contact, {}).update(changed)
        elif contact not in self.changes:
            self.unchanged += 1

    def _resolve_unknown(self) -> None:
        """Read the current values of contacts no HubSpot source read, 100 per request."""
        ids = list(self.unknown)
        names = [c.hubspot for c in self.columns]
        for start in range(0, len(ids), 100):
            chunk = ids[start:start + 100]
            current, missing = self._read(chunk, names)
            for contact in chunk:
                if contact in missing:
                    self.failures.append((0, [contact],
                                          f"no such {self.noun} in HubSpot (deleted, merged or never there)"))
                    continue
                self._compare(contact, self.unknown[contact], current.get(contact, {}))
        self.unknown.clear()

    def _read(self, ids: list[str], names: list[str]) -> tuple[dict[str, dict], set[str]]:
        body = {"properties": names, "inputs": [{"id": i} for i in ids]}
        response = self.client.request("POST", f"/crm/v3/objects/{self.object_type}/batch/read", json_body=body,
                                       kind="read", what=f"reading the current values of {len(ids)} {self.object_type}")
        payload = response.body or {}
        current = {str(r["id"]): r.get("properties") or {} for r in payload.get("results", ())}
        missing: set[str] = set()
        for error in payload.get("errors", ()) or ():
            missing.update(str(i) for i in (error.get("context") or {}).get("ids", ()))
        missing.update(i for i in ids if i not in current)
        return current, missing

    def _check_labels(self) -> None:
        if self._bad_labels:
            problems = "; ".join(f"{prop}: {', '.join(sorted(labels))}" for prop, labels in sorted(self._bad_labels.items()))
            raise RunStopped(f"{self.settings.text}: tier labels that are not options of their HubSpot property: "
                             f"{problems}. Add them with: scoredsl hubspot setup RULES.score --sink SPEC "
                             "(nothing was written)", EXIT_ERROR)

    # ---------------------------------------------------------------- sending
    def _send_all(self) -> None:
        items = list(self.changes.items())
        size = self.settings.batch_size
        batches = [items[i:i + size] for i in range(0, len(items), size)]
        if not batches:
            if self.previous is not None:
                self.journal.remove()
            return
        assert self.run is not None
        self.journal.start({"portal": self.settings.client.portal, "as_of": self.run.as_of.isoformat(),
                            "models": {m.name: m.version for m in self.run.models}, "contacts": len(items),
                            "batches": len(batches)})
        if self.previous is not None and self.previous.written:
            self.journal.done(0, self.previous.written)       # carried over for the search-lag rule
        self.progress.set("batches_total", len(batches))
        consecutive = 0
        for number, batch in enumerate(batches, 1):
            ids = [contact for contact, _ in batch]
            self.journal.send(number, ids)
            written, failed = self._send(dict(batch))
            self.batches_sent += 1
            self.written += len(written)
            self.journal.done(number, written)
            if failed:
                reasons = collections.defaultdict(list)
                for contact, why in failed.items():
                    reasons[why].append(contact)
                for why, contacts in reasons.items():
                    self.failures.append((number, contacts, why))
                    self.journal.failed(number, contacts, why)
            consecutive = consecutive + 1 if failed and not written else 0
            self.progress.set("batches", number)
            if consecutive >= _STOP_AFTER_FAILED_BATCHES and number < len(batches):
                rest = [c for b in batches[number:] for c, _ in b]
                self.failures.append((number + 1, rest, f"not sent: {consecutive} batches in a row failed"))
                self.journal.stopped("failed batches")
                self.journal.close()
                self._summary()
                self._report_failures(exit_code=EXIT_ERROR)
        if self.failures:
            self.journal.close()
        else:
            self.journal.remove()

    def _send(self, batch: dict[str, dict[str, str]]) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
        """``(written, failed)``: what HubSpot applied, and why the rest was not."""
        pending = dict(batch)
        written: dict[str, dict[str, str]] = {}
        failed: dict[str, str] = {}
        attempts = self.client.settings.max_retries + 1
        for attempt in range(attempts):
            inputs = [{"id": contact, "properties": values} for contact, values in pending.items()]
            what = f"the batch update of {len(inputs)} {self.object_type} ({inputs[0]['id']}..{inputs[-1]['id']})"
            try:
                response = self.client.request("POST", f"/crm/v3/objects/{self.object_type}/batch/update",
                                               json_body={"inputs": inputs}, kind="update", write=True, what=what)
            except AmbiguousWrite:
                # applied or not? re-read (consistently) and send again only what did not land
                try:
                    current, missing = self._read(list(pending), sorted({k for v in pending.values() for k in v}))
                except (RequestFailed, HubSpotError) as exc:
                    failed.update(dict.fromkeys(pending, f"outcome unknown, and re-reading failed: {exc}"))
                    return written, failed
                for contact in list(pending):
                    if contact in missing:
                        failed[contact] = f"no such {self.noun} in HubSpot"
                        del pending[contact]
                    elif all(_same(current[contact].get(k), v, self._types.get(k)) for k, v in pending[contact].items()):
                        written[contact] = pending.pop(contact)
                if not pending:
                    return written, failed
                self.client.stats.retries += 1
                time.sleep(min(self.client.settings.backoff_cap, self.client.settings.backoff * 2 ** attempt))
                continue
            except RequestFailed as exc:
                failed.update(dict.fromkeys(pending, str(exc)))
                return written, failed
            except DailyLimitReached:
                raise
            except HubSpotError as exc:
                failed.update(dict.fromkeys(pending, str(exc)))
                return written, failed
            body = response.body or {}
            for error in body.get("errors", ()) or ():
                why = f"{error.get('category', 'error')}: {error.get('message', '')}".strip()
                for contact in (error.get("context") or {}).get("ids", ()):
                    if str(contact) in pending:
                        failed[str(contact)] = why
                        del pending[str(contact)]
            written.update(pending)
            return written, failed
        failed.update(dict.fromkeys(pending, f"outcome unknown after {attempts} attempts"))
        return written, failed

    # ---------------------------------------------------------------- reporting
    def _so_far(self) -> str:
        if not self.batches_sent:
            return ". Nothing was written."
        return (f". {self.written:,} {self.object_type} were updated in {self.batches_sent:,} batches before it "
                f"stopped; "
                f"the checkpoint is {self.journal.path}. Run the same command again to finish: {self.object_type} that "
                "already hold their new values are not sent again")

    def _stop_daily(self, exc: DailyLimitReached) -> None:
        self.journal.stopped(f"DAILY: {exc}")
        self.journal.close()
        self.progress.clear()
        total = len(self.changes)
        left = total - self.written
        text = (f"{self.settings.text}: {exc}. Stopped cleanly: {self.written:,} of {total:,} changed "
                f"{self.object_type} were "
                f"written ({self.batches_sent:,} batches), {left:,} are left. Progress is saved in "
                f"{self.journal.path}; run the same command again after the reset to finish "
                f"({self.object_type} already "
                "written are not sent again)")
        if not self.batches_sent:
            text = f"{self.settings.text}: {exc}. Stopped before writing anything; run the same command again after the reset"
        raise RunStopped(text, EXIT_ERROR)

    def _summary(self) -> None:
        stats = self.client.stats
        elapsed = time.monotonic() - stats.started
        verb = "would be updated" if self.settings.dry_run else "updated"
        done = len(self.changes) if self.settings.dry_run else self.written
        batches = -(-done // self.settings.batch_size) if self.settings.dry_run else self.batches_sent
        trusted = f", {self.trusted:,} values already written by the interrupted run" if self.trusted else ""
        self._say(
            f"{self.settings.text}: {done:,} {self.object_type} {verb} in {batches:,} batch requests, "
            f"{self.unchanged:,} unchanged{trusted}; {stats.requests:,} requests in {elapsed:.1f}s "
            f"({dict(stats.by_kind)}), {stats.retries:,} retried, {stats.rate_limited:,} rate-limited (429)")

    def _say(self, line: str) -> None:
        """A summary line on stderr, unless this sink says progress=off."""
        if self.settings.client.progress != "off":
            self.progress.clear()
            print(line, file=sys.stderr, flush=True)

    def _report_failures(self, exit_code: int = EXIT_FINDINGS) -> None:
        lines = []
        count = sum(len(ids) for _, ids, _ in self.failures)
        grouped: dict[tuple[int, str], list[str]] = {}
        for batch, ids, why in self.failures:
            grouped.setdefault((batch, why), []).extend(ids)
        for (batch, why), ids in grouped.items():
            where = f"batch {batch}" if batch else "before sending"
            lines.append(f"  {where}: {why}\n    {self.object_type} {', '.join(ids)}")
        raise RunStopped(f"{self.settings.text}: {count:,} {self.object_type} were not updated:\n" + "\n".join(lines)
                         + (f"\n  the other {self.written:,} updates were written; the checkpoint is {self.journal.path}"
                            if self.written else ""), exit_code)

    def _report_dry_run(self) -> None:
        out = self.out or sys.stdout
        assert self.run is not None
        changed = self.changes
        batches = -(-len(changed) // self.settings.batch_size)
        out.write(f"{self.settings.text} (dry run): {len(changed):,} of {self.contacts:,} {self.object_type} "
                  f"would change "
                  f"({sum(len(v) for v in changed.values()):,} property values) in {batches:,} batch update "
                  "requests; nothing was written\n")
        for column in self.columns:
            if column.kind not in ("tier", "status"):
                continue
            moves = collections.Counter()
            for contact, values in changed.items():
                if column.hubspot in values:
                    before = self.before.get(contact, {}).get(column.hubspot)
                    moves[(before or "(none)", values[column.hubspot] or "(none)")] += 1
            if not moves:
                continue
            out.write(f"  {column.model}.{column.name} ({column.hubspot}):\n")
            width = max(len(f"{a} -> {b}") for a, b in moves)
            for (a, b), n in sorted(moves.items(), key=lambda item: (-item[1], item[0])):
                out.write(f"    {f'{a} -> {b}':<{width}}  {n:>7,}\n")
        if self.settings.show and changed:
            shown = list(changed.items())[:self.settings.show]
            out.write(f"  first {len(shown)} changes:\n")
            for contact, values in shown:
                before = self.before.get(contact, {})
                parts = [f"{k} {before.get(k) or '(none)'} -> {v or '(none)'}" for k, v in values.items()]
                out.write(f"    {contact}: {'; '.join(parts)}\n")
        out.flush()


def _number_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _same(held: str | None, target: str, kind: str | None) -> bool:
    held = None if held is None or str(held).strip() == "" else str(held)
    if held is None or target == "":
        return held is None and target == ""
    if kind == "number":
        try:
            return decimal.Decimal(held) == decimal.Decimal(target)
        except decimal.InvalidOperation:
            return False
    return held == target

