# ITI-57 bringing a DocumentEntry whose logicalId no registry object has:
# new objects come by ITI-42, XDSMetadataUpdateError
test = mu-new-object
title = ITI-57 bringing a new DocumentEntry: XDSMetadataUpdateError
actor = registry
option = metadata-update
send = ITI-57
needs = mu-setup
expect.status = Failure
expect.error = XDSMetadataUpdateError
---
@{sor}
@{ss id=ss35 uid=$uid:ss35}
@{de id=d35 uid=$uid:d35}
@{member-version id=a35 from=ss35 to=d35 prev=1}
@{sor-end}
