DROP TABLE IF EXISTS chat_presence;
