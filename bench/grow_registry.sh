#!/bin/sh
# grow_registry.sh DB FACTOR: multiply a registry that was loaded through
# ITI-42 (bench_submit) by FACTOR with SQL, for the FindDocuments benchmark:
# every object is copied FACTOR-1 times with new row ids, entryUUIDs and
# uniqueIds but the same patient (the stored XML is copied as it is), so
# each patient gets FACTOR times the
# entries while the rows keep exactly the shape the registry writes.
# (Loading 1M entries through ITI-42 takes too long for a benchmark run;
# the copies are benchmark data, not registry output.)
set -eu
db=$1
factor=$2
max=$(sqlite3 "$db" 'SELECT max(id) FROM registry_object')
off=$((max + 1))
k=1
while [ $k -lt "$factor" ]; do
	o=$((k * off))
	sqlite3 -bail "$db" <<SQL
PRAGMA synchronous=OFF;
BEGIN;
INSERT INTO registry_object (id, entry_uuid, lid, version, kind, status, patient_id, unique_id, xml, submission)
  SELECT id + $o, printf('urn:uuid:%08x-0000-4000-8000-%012x', $k, id), printf('urn:uuid:%08x-0000-4000-8000-%012x', $k, id), version, kind,
         status, patient_id, CASE WHEN unique_id IS NULL THEN NULL ELSE unique_id || '.$k' END,
         xml, CASE WHEN submission IS NULL THEN NULL ELSE submission + $o END
  FROM registry_object WHERE id < $off;
INSERT INTO document_entry SELECT id + $o, patient_id, status, object_type, unique_id || '.$k', repository_uid,
  creation_time, service_start_time, service_stop_time, hash, size, mime_type, availability
  FROM document_entry WHERE id < $off;
INSERT INTO submission_set SELECT id + $o, patient_id, status, unique_id || '.$k', source_id, submission_time
  FROM submission_set WHERE id < $off;
INSERT INTO folder SELECT id + $o, patient_id, status, unique_id || '.$k', last_update_time FROM folder WHERE id < $off;
INSERT INTO code SELECT object_id + $o, scheme, code, coding_scheme FROM code WHERE object_id < $off;
INSERT INTO author SELECT object_id + $o, seq, person FROM author WHERE object_id < $off;
INSERT INTO reference_id SELECT object_id + $o, value FROM reference_id WHERE object_id < $off;
INSERT INTO association SELECT id + $o, type, source_id + $o, target_id + $o FROM association WHERE id < $off;
COMMIT;
SQL
	k=$((k + 1))
done
sqlite3 "$db" 'PRAGMA wal_checkpoint(TRUNCATE); ANALYZE;' >/dev/null
