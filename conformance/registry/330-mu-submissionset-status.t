# ITI-57 changing a SubmissionSet's status: XDSMetadataUpdateOperationError
test = mu-submissionset-status
title = ITI-57 UpdateAvailabilityStatus of a SubmissionSet: XDSMetadataUpdateOperationError
actor = registry
option = metadata-update
send = ITI-57
needs = mu-setup
expect.status = Failure
expect.error = XDSMetadataUpdateOperationError
---
@{sor}
@{ss id=ss36 uid=$uid:ss36}
@{status id=a36 from=ss36 to=ss30 was=Approved new=Deprecated}
@{sor-end}
