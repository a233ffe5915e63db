DROP TABLE content_publish_runs;
