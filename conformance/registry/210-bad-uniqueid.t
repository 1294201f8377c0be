# A DocumentEntry uniqueId that is no OID
test = bad-uniqueid
title = A DocumentEntry uniqueId that is no OID
actor = registry
send = ITI-42
expect.status = Failure
expect.error = XDSRegistryMetadataError
---
@{sor}
@{ss id=n3 uid=$uid:n3}
@{de id=n3d uid=not-an-oid}
@{member id=n3a from=n3 to=n3d}
@{sor-end}
