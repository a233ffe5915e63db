package rpc

import (
	"fmt"

	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
)

// InvalidField is InvalidArgument naming the field, with the same
// violation detail protovalidate produces, so clients handle both alike.
func InvalidField(field, msg string) error {
	err := connect.NewError(connect.CodeInvalidArgument, fmt.Errorf("%s: %s", field, msg))
	v := &validate.Violations{Violations: []*validate.Violation{{
		Field:   &validate.FieldPath{Elements: []*validate.FieldPathElement{{FieldName: proto.String(field)}}},
		RuleId:  proto.String("convene." + field),
		Message: proto.String(msg),
	}}}
	if detail, derr := connect.NewErrorDetail(v); derr == nil {
		err.AddDetail(detail)
	}
	return err
}

// DeniedField is PermissionDenied naming the part of the request refused.
func DeniedField(field, msg string) error {
	return connect.NewError(connect.CodePermissionDenied, fmt.Errorf("%s: %s", field, msg))
}
