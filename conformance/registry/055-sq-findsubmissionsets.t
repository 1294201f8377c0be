# ITI-18 FindSubmissionSets: four SubmissionSets
test = sq-findsubmissionsets
title = ITI-18 FindSubmissionSets: four SubmissionSets
actor = registry
send = ITI-18
needs = register-one register-two folder-new folder-add-existing
expect.status = Success
expect.count.RegistryPackage = 4
---
@{query id=urn:uuid:f26abbcb-ac74-4422-8a30-edb644bbc1a9}
@{slot name=$XDSSubmissionSetPatientId value='$patient'}
@{slot name=$XDSSubmissionSetStatus value=('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')}
@{query-end}
