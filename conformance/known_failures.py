"""The deviations a stock Armada release is shipped with, found for any release of the table.

``conformance/known/<preset>.toml`` are the shipped known-failures files of the two
presets (armada-2023 = v0.3.103, armada-2026 = the newest release). Each entry is true of
a release because of one feature of ``conformance/releases.py`` (``CAUSES``); so the file of
any release, ``--known-failures v0.8.7``, is the shipped entries whose cause it has. A test
proves each preset's file is exactly what this derives for its release, so the files and
the table cannot drift apart: an entry added to a file needs its cause here.
"""

from __future__ import annotations

from pathlib import Path

from conformance.releases import Release
from conformance.report.gate import SHIPPED_KNOWN, KnownFailure, KnownFailuresError, load_known_failures

PRESET_FILES = ("armada-2026", "armada-2023")  # newest first: its wording wins for an entry in both
# The feature that makes each shipped entry true (an entry not named here: every Armada release).
CAUSES: dict[str, str] = {
    "SWAGGER-Valid": "swagger_armada_form",
    "SWAGGER-EnumsAsNames": "go_json",
    "SEMANTICS-RetryPolicyDuplicate": "retry_policies",
    "SEMANTICS-SubmitInvalid": "-submit_checks_containers",  # "-": true where the release lacks the feature
}


def shipped_entries() -> list[KnownFailure]:
    """Every entry of the shipped files, once each."""
    found: dict[str, KnownFailure] = {}
    for preset in PRESET_FILES:
        for entry in load_known_failures(SHIPPED_KNOWN / f"{preset}.toml"):
            found.setdefault(entry.id, entry)
    return list(found.values())


def shipped_for(judged: Release) -> list[KnownFailure]:
    """The shipped deviations of a stock server of ``judged`` (the contract has none)."""
    if judged.is_contract:
        return []
    return [k for k in shipped_entries() if k.id not in CAUSES or _caused(judged, CAUSES[k.id])]


def _caused(judged: Release, cause: str) -> bool:
    """``feature``: the release has it; ``-feature``: the release lacks it."""
    return not judged.has(cause[1:]) if cause.startswith("-") else judged.has(cause)


def known_failures(name: str) -> list[KnownFailure]:
    """``--known-failures``: a file, else a release or preset name (its shipped deviations).

    KnownFailuresError: a file that cannot be used, or a name that is neither a file nor a release.
    """
    from conformance import eras

    path = Path(name)
    if path.exists() or path.parent != Path(".") or path.suffix == ".toml":
        return load_known_failures(name)
    try:
        judged = eras.judged(name)
    except ValueError as exc:
        raise KnownFailuresError(name, None, f"neither a known-failures file nor a release ({exc})") from None
    return shipped_for(judged)
