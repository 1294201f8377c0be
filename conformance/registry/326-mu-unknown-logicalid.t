# ITI-57: a new version of a logicalId no DocumentEntry has, PreviousVersion
# 1: there is no such version, XDSMetadataVersionError (as NIST 15800b)
test = mu-unknown-logicalid
title = ITI-57: a version of a logicalId nothing has: XDSMetadataVersionError
actor = registry
option = metadata-update
send = ITI-57
needs = mu-setup
expect.status = Failure
expect.error = XDSMetadataVersionError
---
@{sor}
@{ss id=ss40 uid=$uid:ss40}
@{de id=d40 lid=nolid uid=$uid:d40}
@{member-version id=a40 from=ss40 to=d40 prev=1}
@{sor-end}
