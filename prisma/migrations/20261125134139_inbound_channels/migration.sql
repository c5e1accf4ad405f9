-- CreateTable
CREATE TABLE "inbound_messages" (
    "account_id" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "external_id" TEXT NOT NULL,
    "conversation_id" TEXT,
    "contact" TEXT,
    "sent_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "inbound_messages_pkey" PRIMARY KEY ("account_id","channel","external_id")
);

-- CreateTable
CREATE TABLE "inbound_tokens" (
    "account_id" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "inbound_tokens_pkey" PRIMARY KEY ("account_id")
);

-- CreateTable
CREATE TABLE "whatsapp_numbers" (
    "phone_number_id" TEXT NOT NULL,
    "account_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "whatsapp_numbers_pkey" PRIMARY KEY ("phone_number_id")
);

-- CreateIndex
CREATE INDEX "inbound_messages_account_id_channel_contact_sent_at_idx" ON "inbound_messages"("account_id", "channel", "contact", "sent_at" DESC);

-- CreateIndex
CREATE INDEX "inbound_messages_conversation_id_idx" ON "inbound_messages"("conversation_id");

-- CreateIndex
CREATE UNIQUE INDEX "inbound_tokens_hash_key" ON "inbound_tokens"("hash");

-- CreateIndex
CREATE INDEX "whatsapp_numbers_account_id_idx" ON "whatsapp_numbers"("account_id");

-- AddForeignKey
ALTER TABLE "inbound_messages" ADD CONSTRAINT "inbound_messages_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "inbound_messages" ADD CONSTRAINT "inbound_messages_conversation_id_fkey" FOREIGN KEY ("conversation_id") REFERENCES "conversations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "inbound_tokens" ADD CONSTRAINT "inbound_tokens_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "whatsapp_numbers" ADD CONSTRAINT "whatsapp_numbers_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;
