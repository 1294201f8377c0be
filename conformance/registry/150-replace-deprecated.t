# RPLC of a Deprecated entry is refused
test = replace-deprecated
title = RPLC of a Deprecated entry is refused
actor = registry
send = ITI-42
needs = replace
expect.status = Failure
expect.error = XDSRegistryDeprecatedDocumentError
---
@{sor}
@{ss id=ss8 uid=$uid:ss8}
@{de id=d8 uid=$uid:d8}
@{member id=a8 from=ss8 to=d8}
@{assoc id=a8b type=urn:ihe:iti:2007:AssociationType:RPLC from=d8 to=d2}
@{sor-end}
