DROP TABLE IF EXISTS recognition_allowances;
DROP TABLE IF EXISTS recognition_comments;
DROP FUNCTION IF EXISTS recognition_comments_count();
DROP TABLE IF EXISTS recognitions;
