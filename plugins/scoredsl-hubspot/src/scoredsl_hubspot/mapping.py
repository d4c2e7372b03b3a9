"""Which HubSpot property feeds which schema property, and how HubSpot's values become typed
scoredsl values.

**Names.** A schema property is read from the HubSpot property the ``properties`` option maps
it to; without an entry, from :data:`DEFAULT_PROPERTIES` (``job_title`` -> ``jobtitle``,
``email_opens`` -> ``hs_email_open``, ...; with a company block, ``company_id`` ->
``associatedcompanyid``, the contact's primary company); otherwise from the HubSpot property
of the same name. The properties of the schema's company block likewise, by
``company_properties`` and :data:`DEFAULT_COMPANY_PROPERTIES` (``employees`` ->
``numberofemployees``). ``scoredsl hubspot check`` prints the resulting table.

**Types.** HubSpot returns every value as a string. :data:`COMPATIBLE` says which HubSpot
property types can feed which schema types; a mapping that does not fit is an error when the
source is opened. Conversions (:func:`convert`): ``number`` properties to ``int`` accept
``"12"`` and ``"12.0"``; ``datetime`` and ``date`` accept ISO strings and epoch milliseconds
(HubSpot uses both); multi-select enumerations (``a;b``) become ``list[text]``; an empty
string or ``null`` is missing. Everything else follows scoredsl's CSV rules.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from scoredsl.api import TypeSpec, from_epoch_micros, parse_csv_value

__all__ = ["DEFAULT_PROPERTIES", "DEFAULT_COMPANY_PROPERTIES", "COMPATIBLE", "resolve", "contact_mapping", "convert",
           "check_types"]

#: Schema property names that need no ``properties`` entry.
DEFAULT_PROPERTIES: dict[str, str] = {
    # who the contact is
    "first_name": "firstname", "last_name": "lastname", "job_title": "jobtitle",
    "employees": "numemployees", "company_size": "numemployees", "annual_revenue": "annualrevenue",
    "lifecycle_stage": "lifecyclestage", "lead_status": "hs_lead_status", "persona": "hs_persona",
    "original_source": "hs_analytics_source", "email_opt_out": "hs_email_optout", "created": "createdate",
    "last_modified": "lastmodifieddate", "owner": "hubspot_owner_id",
    # marketing email (counts and times, kept by HubSpot)
    "emails_delivered": "hs_email_delivered", "email_opens": "hs_email_open", "email_clicks": "hs_email_click",
    "email_bounces": "hs_email_bounce", "last_email_sent": "hs_email_last_send_date",
    "first_open": "hs_email_first_open_date", "last_open": "hs_email_last_open_date",
    "first_click": "hs_email_first_click_date", "last_click": "hs_email_last_click_date",
    # website
    "page_views": "hs_analytics_num_page_views", "visits": "hs_analytics_num_visits",
    "first_visit": "hs_analytics_first_visit_timestamp", "last_visit": "hs_analytics_last_visit_timestamp",
    # forms
    "conversions": "num_conversion_events", "unique_forms": "num_unique_conversion_events",
    "first_conversion": "first_conversion_date", "last_conversion": "recent_conversion_date",
    "last_form": "recent_conversion_event_name",
    # sales activity
    "last_activity": "notes_last_updated", "last_contacted": "notes_last_contacted",
}

#: With a company block, the contact's ``company_id`` is its primary company's id.
COMPANY_ID_PROPERTY = "associatedcompanyid"

#: Company property names (of the schema's company block) that need no ``company_properties`` entry.
DEFAULT_COMPANY_PROPERTIES: dict[str, str] = {
    "employees": "numberofemployees", "annual_revenue": "annualrevenue", "company_type": "type",
    "lifecycle_stage": "lifecyclestage", "owner": "hubspot_owner_id", "created": "createdate",
    "last_modified": "hs_lastmodifieddate", "website": "website",
}

#: schema type -> the HubSpot property types that can feed it.
COMPATIBLE: dict[str, frozenset[str]] = {
    "text": frozenset({"string", "enumeration", "number", "bool", "date", "datetime", "phone_number"}),
    "int": frozenset({"number"}),
    "number": frozenset({"number"}),
    "bool": frozenset({"bool", "enumeration"}),
    "date": frozenset({"date", "datetime"}),
    "datetime": frozenset({"datetime", "date"}),
    "list[text]": frozenset({"enumeration", "string"}),
}

_EPOCH_MS = re.compile(r"-?[0-9]{9,}")
_INTEGRAL = re.compile(r"([+-]?[0-9]+)\.0*")


def resolve(schema: Mapping[str, TypeSpec], explicit: Mapping[str, str],
            defaults: Mapping[str, str] = DEFAULT_PROPERTIES) -> dict[str, str]:
    """Schema property -> HubSpot property for every property the schema declares (of contacts,
    or with :data:`DEFAULT_COMPANY_PROPERTIES`, of companies)."""
    return {name: explicit.get(name) or defaults.get(name) or name
            for name in schema if name != "id"}


def contact_mapping(schema, explicit: Mapping[str, str]) -> dict[str, str]:
    """:func:`resolve` for the contact properties of ``schema`` (a ``DataSchema``): with a company
    block, ``company_id`` defaults to :data:`COMPANY_ID_PROPERTY`."""
    defaults = dict(DEFAULT_PROPERTIES)
    if schema.company is not None:
        defaults["company_id"] = COMPANY_ID_PROPERTY
    return resolve(schema.contact, explicit, defaults)


def check_types(mapping: Mapping[str, str], schema: Mapping[str, TypeSpec],
                definitions: Mapping[str, Mapping]) -> tuple[list[str], list[str]]:
    """``(missing, mismatched)`` descriptions for a mapping against HubSpot's definitions."""
    missing, mismatched = [], []
    for name, hubspot in mapping.items():
        definition = definitions.get(hubspot)
        if definition is None:
            missing.append(f"{hubspot} (for {name})" if hubspot != name else hubspot)
            continue
        wanted = str(schema[name])
        kind = definition.get("type", "string")
        if kind not in COMPATIBLE[wanted]:
            mismatched.append(f"{name}: {wanted} cannot be read from {hubspot}, a HubSpot {kind} property")
    return missing, mismatched


def convert(raw: Any, spec: TypeSpec) -> Any:
    """The typed value of a HubSpot property value; :class:`scoredsl.api.DataError` if it does
    not fit ``spec``."""
    if raw is None:
        return None
    text = str(raw)
    if not text.strip():
        return None
    stripped = text.strip()
    if not spec.is_list:
        if spec.base in ("datetime", "date") and _EPOCH_MS.fullmatch(stripped):
            instant = from_epoch_micros(int(stripped) * 1000)
            return instant if spec.base == "datetime" else instant.date()
        if spec.base == "date" and len(stripped) > 10 and stripped[10] in "Tt ":
            time_part = stripped[11:].rstrip("Zz")
            if re.fullmatch(r"00:00(:00(\.0+)?)?", time_part):
                stripped = stripped[:10]
        if spec.base == "int":
            match = _INTEGRAL.fullmatch(stripped)
            if match:
                stripped = match.group(1)
        return parse_csv_value(stripped if spec.base != "text" else text, spec)
    return parse_csv_value(text, spec)
