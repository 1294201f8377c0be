# A DocumentEntry uniqueId registered before with another hash
test = nonidentical-hash
title = A DocumentEntry uniqueId registered before with another hash
actor = registry
send = ITI-42
needs = register-one
expect.status = Failure
expect.error = XDSNonIdenticalHash
---
@{sor}
@{ss id=n5 uid=$uid:n5}
@{de id=n5d uid=$uid:d1 hash=ffffffffffffffffffffffffffffffffffffffff}
@{member id=n5a from=n5 to=n5d}
@{sor-end}
