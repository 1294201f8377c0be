# ITI-57 bringing the first version of a DocumentEntry (its logicalId its
# own entryUUID): the initial version comes by ITI-42, so the update is
# refused (ITI TF-2 3.57; NIST 15800c pins no error code)
test = mu-new-object
title = ITI-57 bringing a new DocumentEntry (a first version): Failure
actor = registry
option = metadata-update
send = ITI-57
needs = mu-setup
expect.status = Failure
---
@{sor}
@{ss id=ss35 uid=$uid:ss35}
@{de id=d35 uid=$uid:d35}
@{member-version id=a35 from=ss35 to=d35 prev=1}
@{sor-end}
