"""Foreign servers: small things that are not Armada, for proving no check passes against them."""
