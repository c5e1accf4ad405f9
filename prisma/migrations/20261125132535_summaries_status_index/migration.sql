-- CreateIndex
CREATE INDEX "summaries_status_created_at_idx" ON "summaries"("status", "created_at");
