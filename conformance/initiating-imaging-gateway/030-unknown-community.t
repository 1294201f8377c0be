# RAD-69 naming a community nobody knows: XDSUnknownCommunity
test = unknown-community
title = RAD-69 naming a community nobody knows: XDSUnknownCommunity
actor = initiating-imaging-gateway
send = RAD-69
expect.status = Failure
expect.error = XDSUnknownCommunity
---
@{rad69}
@{docreq-home home=urn:oid:1.2.3.4.5.6.999 repo=$repo uid=$instance}
@{rad69-end}
