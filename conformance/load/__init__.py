"""Event-stream load on Locust: many watchers and a few submitters, on one machine or many.

``armada-conformance load`` (``command``) sets a run up (run-named cordoned queues), starts a
Locust master and workers that load ``locustfile`` (``users``: the watcher and submitter
Locust users; ``tally``: what a watcher checks of every event; ``wire``: the gevent-friendly
gRPC and REST streams), cleans up, and turns the master's result into the suite's report
(``outcome``). The pieces share ``settings.LoadPlan``, the run's plan as JSON.
"""
