package main

import (
	"fmt"

	"github.com/convene/convene/internal/providers/notify"
	"github.com/convene/convene/internal/providers/sms"
)

// notificationSenders builds the delivery channels: a real adapter where
// one is configured, the sandbox (which logs and records) otherwise in dev,
// nothing in prod (items of an unconfigured channel are skipped with that
// reason).
func (a *app) notificationSenders(smsSender sms.Sender) (map[string]notify.Sender, error) {
	senders := map[string]notify.Sender{notify.ChannelSMS: notify.NewSMS(smsSender)}
	if a.cfg.FCMProjectID != "" {
		fcm, err := notify.NewFCM(notify.FCMConfig{ProjectID: a.cfg.FCMProjectID, TokenSource: notify.StaticToken(a.cfg.FCMAccessToken)})
		if err != nil {
			return nil, fmt.Errorf("push via FCM: %w", err)
		}
		senders[notify.ChannelPush] = fcm
	}
	if a.cfg.SMTPAddr != "" {
		mail, err := notify.NewSMTP(notify.SMTPConfig{Addr: a.cfg.SMTPAddr, From: a.cfg.SMTPFrom,
			Username: a.cfg.SMTPUsername, Password: a.cfg.SMTPPassword})
		if err != nil {
			return nil, fmt.Errorf("email via SMTP: %w", err)
		}
		senders[notify.ChannelEmail] = mail
	}
	if a.cfg.TelegramBotToken != "" {
		tg, err := notify.NewTelegram(notify.TelegramConfig{Token: a.cfg.TelegramBotToken})
		if err != nil {
			return nil, fmt.Errorf("telegram: %w", err)
		}
		senders[notify.ChannelTelegram] = tg
	}
	if a.cfg.IsDev() {
		for _, ch := range []string{notify.ChannelPush, notify.ChannelEmail, notify.ChannelTelegram} {
			if _, ok := senders[ch]; !ok {
				senders[ch] = notify.NewSandbox(ch, notify.WithLogger(a.log))
			}
		}
	}
	return senders, nil
}
