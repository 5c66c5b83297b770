DROP TABLE mailbox_readers;
