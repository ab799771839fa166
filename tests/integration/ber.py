# ber.py: the BER/DER pieces the raw-socket test clients build LDAP
# messages from (imported by the Python helpers of the integration tests,
# which run with PYTHONPATH set to this directory).

def ln(n):
    """A definite length."""
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b

def tlv(tag, body):
    return bytes([tag]) + ln(len(body)) + body

def integer(v):
    """An INTEGER, negative values included (for malformed requests)."""
    return tlv(0x02, v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big", signed=True))

def octets(s):
    return tlv(0x04, s if isinstance(s, bytes) else s.encode())

def msg(mid, op):
    """An LDAPMessage: messageID and the protocol op."""
    return tlv(0x30, integer(mid) + op)

def split(buf):
    """The whole messages (each the contents of its outer SEQUENCE) at
    the start of buf, and the bytes left after them."""
    out = []
    while len(buf) >= 2:
        h, n = 2, buf[1]
        if n & 0x80:
            k = n & 0x7F
            if len(buf) < 2 + k:
                break
            h, n = 2 + k, int.from_bytes(buf[2:2 + k], "big")
        if len(buf) < h + n:
            break
        out.append(buf[h:h + n])
        buf = buf[h + n:]
    return out, buf
