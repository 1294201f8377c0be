# ITI-57 naming a PreviousVersion that is not the latest: XDSMetadataVersionError
test = mu-previous-not-latest
title = ITI-57 with PreviousVersion 1 when 2 is the latest: XDSMetadataVersionError
actor = registry
option = metadata-update
send = ITI-57
needs = mu-update-document
expect.status = Failure
expect.error = XDSMetadataVersionError
---
@{sor}
@{ss id=ss32 uid=$uid:ss32}
@{de id=d32 lid=d30 uid=$uid:d30 title=Report-v3}
@{member-version id=a32 from=ss32 to=d32 prev=1}
@{sor-end}
