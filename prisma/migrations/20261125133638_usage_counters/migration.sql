-- CreateTable
CREATE TABLE "usage_counters" (
    "account_id" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "endpoint_group" TEXT NOT NULL,
    "count" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "usage_counters_pkey" PRIMARY KEY ("account_id","day","endpoint_group")
);

-- CreateTable
CREATE TABLE "usage_flush_marks" (
    "account_id" TEXT NOT NULL,
    "last_flush_id" BIGINT NOT NULL,

    CONSTRAINT "usage_flush_marks_pkey" PRIMARY KEY ("account_id")
);

-- AddForeignKey
ALTER TABLE "usage_counters" ADD CONSTRAINT "usage_counters_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "usage_flush_marks" ADD CONSTRAINT "usage_flush_marks_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;
