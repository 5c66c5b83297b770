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


def _sendable_name(name):
    # A multipart part's name travels in its Content-Disposition header as a quoted
    # string. HTTP header values cannot hold control characters (RFC 9110,
    # field-value), and Schemathesis writes the name without escaping, so a `"` or a
    # `\` in it ends the string early: a form with such a part name is not a request
    # any client sends (browsers percent-encode those, RFC 7578).
    return not any(ord(c) < 0x20 or ord(c) == 0x7F or c in '"\\' for c in str(name))


@schemathesis.hook
def filter_body(ctx, body):
    operation = getattr(ctx, "operation", None)
    media = ""
    if operation is not None:
        media = " ".join(
            str(b.media_type) for b in getattr(operation, "body", []) if hasattr(b, "media_type")
        )
    if "multipart/" in media and isinstance(body, dict):
        return all(_sendable_name(k) for k in body)
    return True
