"""Clients that speak to any Armada endpoint, by method name, over gRPC and REST."""
