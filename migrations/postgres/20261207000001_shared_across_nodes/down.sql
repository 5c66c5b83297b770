DROP SEQUENCE parley_writes;
DROP TABLE shared_files;
DROP TABLE file_parts;
DROP TABLE rate_limits;
