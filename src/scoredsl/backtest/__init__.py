"""``scoredsl backtest``: would the model have picked the contacts that went on to convert?

Every contact is scored as it was at each of a series of past as-of instants, with only the
events before that instant (:mod:`.snapshots`); what became of it in the outcome window after
each instant is looked up in the outcomes; the metrics (:mod:`.metrics`) say how well the
score and the tiers ranked the converters, with bootstrap intervals; :mod:`.report` renders
them as text, JSON, a compact pull-request line, and a self-contained HTML page.
See ``docs/backtest.md``.
"""
