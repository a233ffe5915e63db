DROP FUNCTION IF EXISTS require_row(bigint);
