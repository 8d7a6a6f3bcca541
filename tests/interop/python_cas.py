"""A CAS client that Sésame did not write: the `python-cas` library (PyPI),
driven by tests/cas_interop.rs.

    python3 python_cas.py login-url SERVER SERVICE
    python3 python_cas.py verify SERVER SERVICE TICKET   -> JSON {user, attributes}
    python3 python_cas.py slo SERVER SERVICE < LOGOUT_REQUEST -> JSON [session indexes]
    python3 python_cas.py saml-verify SERVER SERVICE TICKET -> JSON {user, attributes}
"""
import json
import sys

import cas

mode, server, service = sys.argv[1], sys.argv[2], sys.argv[3]
client = cas.CASClient(version=3, service_url=service, server_url=server)
if mode == "login-url":
    print(client.get_login_url())
elif mode == "verify":
    user, attributes, pgtiou = client.verify_ticket(sys.argv[4])
    print(json.dumps({"user": user, "attributes": attributes, "pgtiou": pgtiou}))
elif mode == "saml-verify":
    saml = cas.CASClient(version="CAS_2_SAML_1_0", service_url=service, server_url=server)
    user, attributes, _ = saml.verify_ticket(sys.argv[4])
    print(json.dumps({"user": user, "attributes": attributes}))
elif mode == "slo":
    slos = client.get_saml_slos(sys.stdin.read())
    print(json.dumps([s.text for s in slos]))
else:
    sys.exit("unknown mode " + mode)
