package app

import (
	"fmt"
	"os"
	"strings"

	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/providers/notify"
	"github.com/convene/convene/internal/providers/payment"
	"github.com/convene/convene/internal/providers/sms"
	"github.com/convene/convene/internal/providers/social"
	"github.com/convene/convene/internal/questcheck"
	"github.com/convene/convene/internal/secretbox"
	"github.com/convene/convene/internal/tickets"
)

// buildProviders builds the outside services: payments, ticket keys, SMS,
// the notification senders and the quest task verifiers.
func (a *App) buildProviders() (err error) {
	if a.Payments, err = a.paymentProvider(); err != nil {
		return err
	}
	a.Sandbox, _ = a.Payments.(*payment.Sandbox)
	if a.Tickets, err = a.ticketKeys(); err != nil {
		return err
	}
	if a.SMS, err = a.smsSender(); err != nil {
		return err
	}
	if a.Senders, err = a.notificationSenders(); err != nil {
		return err
	}
	a.QuestVerifiers, a.QuestSandboxes = questcheck.New(questcheck.Options{AllowPrivate: a.Config.QuestChecksAllowPrivate,
		Mode: a.Config.QuestVerifiers, TelegramBotToken: a.Config.TelegramBotToken,
		TwitterBearerToken: a.Config.TwitterBearerToken, APICheckTLS: a.opts.QuestCheckTLS})
	return a.socialPlatforms()
}

// socialPlatforms builds the social platforms and the box sealing their
// tokens (Config.SocialTokenKey). Only the sandbox exists so far: it
// serves every platform in dev; prod offers none until real adapters land.
func (a *App) socialPlatforms() (err error) {
	if a.SocialTokens, err = secretbox.FromEnv(a.Config.SocialTokenKey); err != nil {
		return err
	}
	if a.Config.IsDev() {
		a.SocialSandbox = social.NewSandbox(social.SandboxConfig{BaseURL: a.Config.PublicURL, Now: a.Now})
		a.Social, err = social.NewRegistry(a.SocialSandbox.Platforms()...)
		return err
	}
	a.Social, err = social.NewRegistry()
	return err
}

// paymentProvider is the adapter Config.PaymentProvider names. The sandbox
// serves its checkout pages and receives its own webhooks on the API's
// public URL.
func (a *App) paymentProvider() (payment.Provider, error) {
	base := strings.TrimRight(a.Config.PublicURL, "/")
	p, err := payment.New(a.Config.PaymentProvider,
		payment.SandboxConfig{DB: a.DB.DB, BaseURL: base, WebhookURL: base + "/webhooks/payments/sandbox",
			Secret: a.Config.PaymentWebhookSecret, Now: a.Now, Log: a.Log},
		payment.StripeConfig{SecretKey: a.Config.StripeSecretKey, WebhookSecret: a.Config.StripeWebhookSecret,
			SuccessURL: base + "/checkout/success", CancelURL: base + "/checkout/cancelled"})
	if err != nil {
		return nil, fmt.Errorf("payment provider: %w", err)
	}
	return p, nil
}

// ticketKeys derives ticket-signing keys from Config.TicketMasterKey.
func (a *App) ticketKeys() (*tickets.Keys, error) {
	keys, err := tickets.NewKeys([]byte(a.Config.TicketMasterKey))
	if err != nil {
		return nil, fmt.Errorf("CONVENE_TICKET_MASTER_KEY: %w", err)
	}
	return keys, nil
}

// smsSender is Options.SMS, or the adapter Config.SMSProvider names.
func (a *App) smsSender() (sms.Sender, error) {
	if a.opts.SMS != nil {
		return a.opts.SMS, nil
	}
	return sms.New(a.Config.SMSProvider, a.Log, sms.TwilioConfig{
		AccountSID: a.Config.TwilioAccountSID, AuthToken: a.Config.TwilioAuthToken, From: a.Config.TwilioFrom})
}

// notificationSenders builds the delivery channels: SMS through the SMS
// sender; push, email and Telegram through a real adapter where one is
// configured, otherwise the sandbox (which logs and records) in dev and
// nothing in prod (items of an unconfigured channel are skipped with that
// reason). Options.Senders replace the channels they name.
func (a *App) notificationSenders() (map[string]notify.Sender, error) {
	senders, err := a.configuredSenders()
	if err != nil {
		return nil, err
	}
	for ch, s := range a.opts.Senders {
		senders[ch] = s
	}
	if a.Config.IsDev() {
		for _, ch := range []string{enums.ChannelPush, enums.ChannelEmail, enums.ChannelTelegram} {
			if _, ok := senders[ch]; !ok {
				senders[ch] = notify.NewSandbox(ch, notify.WithLogger(a.Log))
			}
		}
	}
	return senders, nil
}

// configuredSenders are the real adapters the configuration enables.
func (a *App) configuredSenders() (map[string]notify.Sender, error) {
	c := a.Config
	senders := map[string]notify.Sender{enums.ChannelSMS: notify.NewSMS(a.SMS)}
	if c.FCMProjectID != "" {
		fcm, err := a.fcmSender()
		if err != nil {
			return nil, fmt.Errorf("push via FCM: %w", err)
		}
		senders[enums.ChannelPush] = fcm
	}
	if c.SMTPAddr != "" {
		mail, err := notify.NewSMTP(notify.SMTPConfig{Addr: c.SMTPAddr, From: c.SMTPFrom,
			Username: c.SMTPUsername, Password: c.SMTPPassword})
		if err != nil {
			return nil, fmt.Errorf("email via SMTP: %w", err)
		}
		senders[enums.ChannelEmail] = mail
	}
	if c.TelegramBotToken != "" {
		tg, err := notify.NewTelegram(notify.TelegramConfig{Token: c.TelegramBotToken})
		if err != nil {
			return nil, fmt.Errorf("telegram: %w", err)
		}
		senders[enums.ChannelTelegram] = tg
	}
	return senders, nil
}

// fcmSender is push through FCM, signed in with the service account's key
// from Config.FCMCredentialsFile.
func (a *App) fcmSender() (*notify.FCM, error) {
	key, err := os.ReadFile(a.Config.FCMCredentialsFile)
	if err != nil {
		return nil, fmt.Errorf("CONVENE_FCM_CREDENTIALS_FILE: %w", err)
	}
	tokens, err := notify.ServiceAccountToken(key, nil)
	if err != nil {
		return nil, err
	}
	return notify.NewFCM(notify.FCMConfig{ProjectID: a.Config.FCMProjectID, TokenSource: tokens})
}
