create table t (id int);
-- sbdeploy:down
drop table t;
