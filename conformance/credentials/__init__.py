"""Real credential infrastructure for the suite and the tests: a Kerberos realm
(``credentials.kerberos``), an OpenID provider process (``credentials.openid``) and
malformed ``Authorization`` values (``credentials.malformed``).

The submodules are imported explicitly, because the Kerberos one needs ``gssapi``
and the KDC binaries, which not every run has.
"""
