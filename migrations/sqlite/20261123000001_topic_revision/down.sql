ALTER TABLE topics DROP COLUMN revision;
