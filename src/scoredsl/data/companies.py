"""Companies: what a contact model reads of the contact's company.

A schema with a ``company { ... }`` block gives every contact an implicit ``company_id`` text
property, the id of the company it belongs to (at most one), and the model's rules read that
company's properties as ``company.NAME`` (``company.id`` included). The companies are read
once, before any contact, into :class:`Companies` (in memory: a CRM has far fewer companies
than contacts), and each contact record is given the values of its company under the keys
``company.NAME``, which no property can have (:meth:`Companies.attach`); the canonical
contacts relation has them as columns (:func:`scoredsl.data.canonical.contacts_columns`).
When DuckDB reads the contacts files itself, it joins the same companies in SQL
(:mod:`scoredsl.engines.duckdb_files`), with the same result. A contact without a company id,
or whose id names no company, has every ``company.NAME`` missing. Ids match after surrounding
white space is stripped, as contact ids are read.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator, Mapping

from scoredsl.data.records import COMPANY_ID, DataError, DataSchema
from scoredsl.data.sources import OnError, Source, SourceError, fail

__all__ = ["Companies", "company_key", "PREFIX"]

PREFIX = "company."


def company_key(name: str) -> str:
    """The key of a company property in a contact record: ``company.industry``."""
    return PREFIX + name


class Companies:
    """Every company of a source, by id, with the keys a contact record gets from it."""

    def __init__(self, schema: DataSchema, records: Mapping[str, Mapping[str, Any]]):
        names = ["id", *(schema.company or {})]
        self.keys = tuple(company_key(n) for n in names)
        self._values = {cid: tuple(r.get(n) for n in names) for cid, r in records.items()}
        self._none = (None,) * len(names)
        #: contacts whose company id names no company
        self.unmatched = 0

    def __len__(self) -> int:
        return len(self._values)

    @classmethod
    def read(cls, source: Source, schema: DataSchema, on_error: OnError = fail) -> "Companies | None":
        """The source's companies (``None`` when the schema declares none). A source without
        companies is a :class:`SourceError`; a duplicate id goes to ``on_error`` (skipped:
        the first one is kept)."""
        if schema.company is None:
            return None
        rows = source.companies(schema, on_error)
        if rows is None:
            raise SourceError("the schema declares companies (company { ... }), and this source has none: "
                              "give it companies: FOLDER/companies.csv (or .jsonl, .parquet), companies=FILE, "
                              "or for SQL companies=TABLE")
        records: dict[str, Mapping[str, Any]] = {}
        for row in rows:
            company_id = row["id"]
            if company_id in records:
                on_error(DataError(f"duplicate company id {company_id!r}", record=f"company {company_id!r}"))
                continue
            records[company_id] = row
        return cls(schema, records)

    def rows(self) -> Iterator[tuple]:
        """Each company's values of :attr:`keys` (its id first), in the order they were read."""
        return iter(self._values.values())

    def records(self) -> Iterator[dict[str, Any]]:
        """Each company as a company model reads it: ``{"id": ..., NAME: value, ...}``, in the
        order they were read."""
        names = [key[len(PREFIX):] for key in self.keys]
        for values in self._values.values():
            yield dict(zip(names, values))

    def __contains__(self, company_id: str) -> bool:
        return company_id in self._values

    def note_unmatched(self, count: int) -> None:
        """Count contacts whose company id names no company, found by another reader (SQL)."""
        self.unmatched += count

    def values(self, contact: Mapping[str, Any]) -> tuple:
        """The values of :attr:`keys` for ``contact`` (all ``None`` without a company)."""
        company_id = contact.get(COMPANY_ID)
        if company_id is None:
            return self._none
        found = self._values.get(company_id.strip())
        if found is None:
            self.unmatched += 1
            return self._none
        return found

    def attach(self, contact: dict[str, Any]) -> dict[str, Any]:
        """``contact`` with its company's values under ``company.NAME`` (a new dict)."""
        out = dict(contact)
        out.update(zip(self.keys, self.values(contact)))
        return out

    def attached(self, contacts: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for contact in contacts:
            yield self.attach(contact)
