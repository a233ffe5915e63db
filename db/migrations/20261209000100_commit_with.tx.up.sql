-- require_row aborts the transaction of a statement that changed no row.
-- db.CommitWith sends a transaction's last statement and its COMMIT in one
-- round trip; when that statement finds its row no longer allows the change,
-- this error stops the COMMIT from running.
CREATE FUNCTION require_row(changed bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF changed = 0 THEN
        RAISE EXCEPTION 'the statement sent with COMMIT changed no row' USING ERRCODE = 'no_data_found';
    END IF;
END
$$;
