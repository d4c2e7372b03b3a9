"""An example scoredsl plugin: the template to copy for your own.

It adds two functions that rule conditions can call, and one lint that ``scoredsl check``
runs::

    rule free_email:  is_free_email(email) => -10
    rule partner:     email_domain(email) in partner_domains => +20

Functions are called only with present arguments (a missing email makes the call's result
missing, so neither rule fires), must be deterministic and have no side effects.
"""

from __future__ import annotations

from scoredsl.api import hookimpl, warning

__version__ = "0.1.0"

FREE_EMAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "yahoo.com", "outlook.com", "hotmail.com", "live.com", "icloud.com",
    "me.com", "aol.com", "proton.me", "protonmail.com", "gmx.de", "gmx.net", "web.de", "mail.ru",
    "yandex.ru", "qq.com", "163.com",
})

POINTS_LIMIT = 100


def email_domain(email: str) -> str | None:
    """The part after the last ``@``, lower-cased; missing when there is none."""
    local, at, domain = email.strip().rpartition("@")
    if not at or not local or not domain:
        return None
    return domain.lower()


def is_free_email(email: str) -> bool | None:
    """Whether the address is at a free webmail provider (unknown when it is not an address)."""
    domain = email_domain(email)
    return None if domain is None else domain in FREE_EMAIL_DOMAINS


def inflated_points(unit, program):
    """EX101: a single rule worth more than 100 points usually means score inflation."""
    for model in program.models:
        for score in model.scores:
            for rule in score.rules():
                points = [b.points for b in getattr(rule, "bands", ())] or [getattr(rule, "points", 0)]
                biggest = max(points, key=abs)
                if biggest > POINTS_LIMIT:
                    yield warning("EX101", f"rule '{rule.name}' awards {biggest} points, more than "
                                           f"{POINTS_LIMIT}", rule.span,
                                  "large positive rules inflate scores; consider a cap or a tier criterion")


@hookimpl
def scoredsl_register_functions(registry):
    registry.add("email_domain", email_domain, params=["text"], returns="text",
                 description="the domain of an email address, lower-cased")
    registry.add("is_free_email", is_free_email, params=["text"], returns="bool",
                 description="whether an email address is at a free webmail provider")


@hookimpl
def scoredsl_register_lints(registry):
    registry.add("inflated-points", inflated_points, "EX101: rules worth more than 100 points")
