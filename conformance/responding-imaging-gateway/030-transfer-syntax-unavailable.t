# RAD-75 asking only for a transfer syntax nobody has: XDSRepositoryError
test = transfer-syntax-unavailable
title = RAD-75 asking only for a transfer syntax nobody has: XDSRepositoryError
actor = responding-imaging-gateway
send = RAD-75
expect.status = Failure
expect.error = XDSRepositoryError
---
@{rad69}
@{docreq-home home=$home repo=$repo uid=$instance}
@{rad69-end ts=1.2.3.4.5.6.7.8.9.999 ts2=1.2.3.4.5.6.7.8.9.998}
