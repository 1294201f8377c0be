# RAD-69 asking only for a transfer syntax no source has: XDSRepositoryError
test = transfer-syntax-unavailable
title = RAD-69 asking only for a transfer syntax no source has: XDSRepositoryError
actor = imaging-source
send = RAD-69
expect.status = Failure
expect.error = XDSRepositoryError
---
@{rad69}
@{docreq repo=$repo uid=$instance}
@{rad69-end ts=1.2.3.4.5.6.7.8.9.999 ts2=1.2.3.4.5.6.7.8.9.998}
