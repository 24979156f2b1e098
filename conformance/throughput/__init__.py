"""Event-stream throughput measurement for the THROUGHPUT checks.

The pieces, each in its own module so a worker process imports only what it needs:

* ``settings``: workload sizes and gates from the run's options, with safe defaults
  for real deployments;
* ``consumer``: what a consumer process does: read one stream over gRPC or REST,
  decode every message, time it, and measure its own decode capacity on the very
  same bytes from memory (so a figure close to that capacity is flagged as a lower
  bound: the client, not the target, was the limit);
* ``workers``: a pool of spawned consumer processes (the suite, and in the embedded
  case the server too, must not share one GIL with the consumers);
* ``measure``: the workloads (replay, live, fan-out, resume) and the figures.
"""
