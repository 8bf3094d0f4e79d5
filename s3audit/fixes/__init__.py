"""From a finding to the change that fixes it, proved by the engine.

``kinds.py`` makes the change a rule's ``fix`` clause names (one function per kind of ``lang/fixkinds.py``)
as a JSON Patch of the snapshot document; ``suggest.py`` tries a finding's fixes in order, applies each to
a copy of the estate, runs the engine and the rule again, and keeps the first under which the finding is
gone, with the access it changes. Pure: documents in, suggestions out.
"""
