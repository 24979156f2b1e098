"""SWAGGER: the served swagger is found, valid Swagger 2.0, and tells the truth.

The swagger is Armada's published REST contract, so these checks hold it to two
references: the wire facts (our protos: HTTP rules, field JSON names and types) and
what the endpoint really answers. They run against any target with a REST URL, one
module per job:

- ``facts``: each REST-bound method as its HTTP rule binds it, and the type table;
- ``document``: where the swagger is (``<rest>/swagger.json``, ``<rest>/api/swagger.json``
  or ``[target] swagger``), fetched once per run, and how its schemas are read;
- ``structure``: ``SWAGGER-Served``, ``SWAGGER-Valid``, ``SWAGGER-Documents-<Method>``;
- ``definitions``: ``SWAGGER-Definitions``, the response definitions against the
  descriptors, as the judged release documents them;
- ``samples`` and ``answers``: real answers of the run's own objects, and
  ``SWAGGER-ResponsesMatch`` / ``SWAGGER-EnumsAsNames`` (recommended: real Armada writes
  enums as numbers, a deviation from its own contract);
- ``fuzz``: ``SWAGGER-Schemathesis``, a bounded run confined to the run's own names.

Importing the package registers every SWAGGER check (``load_all`` imports it).
"""

from conformance.checks.swagger import answers, definitions, fuzz, structure

__all__ = ["answers", "definitions", "fuzz", "structure"]
