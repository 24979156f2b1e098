"""The pytest test module of the conformance suite (collected with ``--pyargs conformance.suite``)."""
