# RAD-75 naming an imaging source the community does not have:
# XDSUnknownRepositoryId
test = unknown-repository
title = RAD-75 naming an unknown imaging source: XDSUnknownRepositoryId
actor = responding-imaging-gateway
send = RAD-75
expect.status = Failure
expect.error = XDSUnknownRepositoryId
---
@{rad69}
@{docreq-home home=$home repo=1.2.3.4.5.6.7.999 uid=$instance}
@{rad69-end}
