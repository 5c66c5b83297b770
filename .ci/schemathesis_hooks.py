"""Schemathesis hooks for Parley's API contract run (.ci/api-contract.sh).

POST /api/v1/inbound-mail takes a raw message (message/rfc822), which Schemathesis
has no serializer for: the generated value is sent as the bytes of its text.
"""

import schemathesis


@schemathesis.serializer("message/rfc822")
def rfc822(ctx, value):
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    return str(value).encode("utf-8")
