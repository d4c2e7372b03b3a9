"""scoredsl-hubspot: score the contacts of a HubSpot portal and write the scores back.

* ``hubspot:`` source (:mod:`.source`): contacts by full or incremental read, events from the
  events API; property mapping (:mod:`.mapping`).
* ``hubspot:`` sink (:mod:`.sink`): only changed values, batches of 100, checkpoint
  (:mod:`.checkpoint`), dry run; property layout (:mod:`.layout`).
* ``scoredsl hubspot setup`` / ``check`` (:mod:`.commands`) and the ``hubspot-data`` lint
  (:mod:`.lint`, :mod:`.capabilities`).
* The HTTP client with pacing and retries (:mod:`.client`, :mod:`.pacing`).
* A fake HubSpot server for tests (:mod:`.testing`).
"""

__version__ = "0.1.0"
