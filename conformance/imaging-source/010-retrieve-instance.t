# RAD-69: the instance (--instance) as a DICOM file
test = retrieve-instance
title = RAD-69: the instance (--instance) as a DICOM file
actor = imaging-source
send = RAD-69
expect.status = Success
expect.error = none
expect.count.DocumentResponse = 1
expect.dicom = $instance
---
@{rad69}
@{docreq repo=$repo uid=$instance}
@{rad69-end}
