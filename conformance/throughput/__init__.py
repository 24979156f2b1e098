"""Event-stream throughput measurement for the THROUGHPUT checks.

The pieces, each in its own module so a worker process imports only what it needs:

* ``settings``: workload sizes and gates from the run's options, with safe defaults
  for real deployments;
* ``consumer``: what a consumer process does: read streams over gRPC or REST,
  check every message, time it, and measure its own capacity on the very same
  bytes from memory (so a figure close to that capacity is flagged as a lower
  bound: the client, not the target, was the limit);
* ``h2reader``: our own minimal HTTP/2 client for one unary-stream gRPC call (sans-IO),
  and ``grpc_stream``: many such streams on one thread, every id checked;
* ``workers``: a pool of spawned consumer processes (the suite, and in the embedded
  case the server too, must not share one GIL with the consumers);
* ``measure``: the workloads (replay, live, fan-out, resume) and the figures;
* ``verdict``: what the streams prove (whole, ordered) and whether a figure is client-bound.
"""
