# RAD-75 naming another community: XDSUnknownCommunity
test = unknown-home
title = RAD-75 naming another community: XDSUnknownCommunity
actor = responding-imaging-gateway
send = RAD-75
expect.status = Failure
expect.error = XDSUnknownCommunity
---
@{rad69}
@{docreq-home home=urn:oid:1.2.3.4.5.6.999 repo=$repo uid=$instance}
@{rad69-end}
