# ITI-57: a new version with another uniqueId: XDSMetadataIdentifierError
test = mu-changed-uniqueid
title = ITI-57: a new version with another uniqueId: XDSMetadataIdentifierError
actor = registry
option = metadata-update
send = ITI-57
needs = mu-update-document
expect.status = Failure
expect.error = XDSMetadataIdentifierError
---
@{sor}
@{ss id=ss33 uid=$uid:ss33}
@{de id=d33 lid=d30 uid=$uid:d33}
@{member-version id=a33 from=ss33 to=d33 prev=2}
@{sor-end}
