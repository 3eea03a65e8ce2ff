do $$ begin
