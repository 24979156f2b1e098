"""The suite's embedded target can be any flavour; a release without Kerberos gets no KDC."""

from __future__ import annotations

import requests

from conformance.embedded import EmbeddedEnvironment


def test_embedded_armada_2026_has_no_kerberos_and_speaks_its_era() -> None:
    with EmbeddedEnvironment(flavour="armada-2026", oidc=False) as environment:
        assert environment.realm is None and environment.server is not None
        assert environment.server.server.config.flavour == "armada-2026"
        assert "kerberos" not in environment.server.server.config.auth["order"]
        answer = requests.get(f"{environment.server.rest_url}/v1/queue/x/info", timeout=10)
        assert answer.status_code == 404 and answer.text.strip() == "Not Found"


def test_embedded_default_is_the_contract() -> None:
    with EmbeddedEnvironment(kerberos=False, oidc=False) as environment:
        assert environment.server is not None and environment.server.server.config.flavour == "contract"


def test_a_flavour_is_judged_as_the_release_it_is() -> None:
    from conformance.embedded import profile_of
    from conformance.options import RunOptions
    from conformance.runner import ConfigError, prepare

    assert [profile_of(f) for f in ("armada-2023", "armada-2026", "v0.8.7", "0.9", "contract", None)] == [
        "armada-2023",
        "armada-2026",
        "v0.8.7",
        "v0.9.0",
        "contract",
        "contract",
    ]
    assert prepare(None, RunOptions(flavour="armada-2023", only=("SURFACE",))).profile == "armada-2023"
    assert prepare(None, RunOptions(flavour="v0.8.7", only=("SURFACE",))).profile == "v0.8.7"
    assert (
        prepare(None, RunOptions(flavour="armada-2023", profile="current", only=("SURFACE",))).profile == "armada-2026"
    )
    for options, flag in ((RunOptions(flavour="v9"), "--flavour"), (RunOptions(profile="armada-2028"), "--profile")):
        try:
            prepare(None, options)
        except ConfigError as exc:
            assert str(exc).startswith(flag), exc
        else:
            raise AssertionError(f"{options} was accepted")
