package tencent

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/herald-im/herald/internal/im"
	"github.com/herald-im/herald/protocol"
)

// Message element types (MsgBody[].MsgType), from Tencent's "Message Formats"
// (cloud.tencent.com/document/product/269/2720).
const (
	TIMTextElem      = "TIMTextElem"
	TIMCustomElem    = "TIMCustomElem"
	TIMImageElem     = "TIMImageElem"
	TIMSoundElem     = "TIMSoundElem"
	TIMVideoFileElem = "TIMVideoFileElem"
	TIMFileElem      = "TIMFileElem"
	TIMLocationElem  = "TIMLocationElem"
	TIMFaceElem      = "TIMFaceElem"
)

// MsgElem is one element of MsgBody: its type and its type's content.
type MsgElem struct {
	MsgType    string
	MsgContent json.RawMessage
}

// TextElem is the MsgContent of a TIMTextElem.
type TextElem struct {
	Text string
}

// CustomElem is the MsgContent of a TIMCustomElem. Desc is the push text, Ext goes to
// the APNs payload and Sound is the APNs sound, unless OfflinePushInfo says otherwise.
type CustomElem struct {
	Data  string
	Desc  string
	Ext   string
	Sound string
}

// ImageElem is the MsgContent of a TIMImageElem.
type ImageElem struct {
	UUID           string
	ImageFormat    int
	ImageInfoArray []ImageInfo
}

// ImageInfo is one size of an image: Type 1 original, 2 large, 3 thumbnail.
type ImageInfo struct {
	Type   int
	Size   int64
	Width  int
	Height int
	URL    string
}

// SoundElem is the MsgContent of a TIMSoundElem; Second is the duration.
type SoundElem struct {
	URL    string `json:"Url"`
	UUID   string
	Size   int64
	Second int
}

// VideoFileElem is the MsgContent of a TIMVideoFileElem.
type VideoFileElem struct {
	VideoURL    string `json:"VideoUrl"`
	VideoUUID   string
	VideoSize   int64
	VideoSecond int
	VideoFormat string
	ThumbURL    string `json:"ThumbUrl"`
	ThumbUUID   string
	ThumbSize   int64
	ThumbWidth  int
	ThumbHeight int
	ThumbFormat string
}

// FileElem is the MsgContent of a TIMFileElem.
type FileElem struct {
	URL      string `json:"Url"`
	UUID     string
	FileSize int64
	FileName string
}

// LocationElem is the MsgContent of a TIMLocationElem.
type LocationElem struct {
	Desc      string
	Latitude  float64
	Longitude float64
}

// FaceElem is the MsgContent of a TIMFaceElem.
type FaceElem struct {
	Index int
	Data  string
}

// Image sizes in ImageInfoArray.
const (
	imageOriginal = 1
	imageThumb    = 3
)

// convert turns a MsgBody and its OfflinePushInfo into Herald elements and push info.
// It fails with CodeBadJSON when a MsgContent does not decode and CodeInvalidParam for
// an unknown MsgType or a field the chat core refuses (im.ValidateElement), naming the
// element as MsgBody[i].
func convert(body []MsgElem, info *OfflinePushInfo) ([]protocol.Element, *protocol.OfflinePushInfo, error) {
	if len(body) == 0 {
		return nil, nil, &Error{Code: CodeInvalidParam, Info: "MsgBody needs at least one element"}
	}
	if len(body) > im.MaxElements {
		return nil, nil, &Error{Code: CodeInvalidParam, Info: fmt.Sprintf("MsgBody has %d elements; at most %d", len(body), im.MaxElements)}
	}
	elems := make([]protocol.Element, 0, len(body))
	var customs []CustomElem
	for i, me := range body {
		e, custom, err := element(me)
		if err != nil {
			return nil, nil, &Error{Code: err.Code, Info: fmt.Sprintf("MsgBody[%d]: %s", i, err.Info), Err: err.Err}
		}
		if err := im.ValidateElement(&e); err != nil {
			return nil, nil, &Error{Code: CodeInvalidParam, Info: fmt.Sprintf("MsgBody[%d] (%s): %v", i, me.MsgType, err)}
		}
		elems = append(elems, e)
		if custom != nil {
			customs = append(customs, *custom)
		}
	}
	return elems, pushInfo(info, customs), nil
}

func element(me MsgElem) (protocol.Element, *CustomElem, *Error) {
	content := func(v any) *Error {
		if len(me.MsgContent) == 0 {
			return &Error{Code: CodeInvalidParam, Info: "MsgContent is missing"}
		}
		if err := json.Unmarshal(me.MsgContent, v); err != nil {
			return &Error{Code: CodeBadJSON, Info: fmt.Sprintf("MsgContent is not a %s: %v", me.MsgType, err), Err: err}
		}
		return nil
	}
	switch me.MsgType {
	case TIMTextElem:
		var c TextElem
		if err := content(&c); err != nil {
			return protocol.Element{}, nil, err
		}
		return protocol.Element{Type: protocol.ElemText, Text: c.Text}, nil, nil
	case TIMCustomElem:
		var c CustomElem
		if err := content(&c); err != nil {
			return protocol.Element{}, nil, err
		}
		return protocol.Element{Type: protocol.ElemCustom, Data: c.Data, Desc: c.Desc, Ext: c.Ext}, &c, nil
	case TIMImageElem:
		var c ImageElem
		if err := content(&c); err != nil {
			return protocol.Element{}, nil, err
		}
		e := protocol.Element{Type: protocol.ElemImage}
		var orig *ImageInfo
		for i := range c.ImageInfoArray {
			in := &c.ImageInfoArray[i]
			switch {
			case in.Type == imageOriginal:
				orig = in
			case in.Type == imageThumb:
				e.ThumbURL = in.URL
			}
		}
		if orig == nil && len(c.ImageInfoArray) > 0 {
			orig = &c.ImageInfoArray[0]
		}
		if orig != nil {
			e.URL, e.Size, e.Width, e.Height = orig.URL, orig.Size, orig.Width, orig.Height
		}
		return e, nil, nil
	case TIMSoundElem:
		var c SoundElem
		if err := content(&c); err != nil {
			return protocol.Element{}, nil, err
		}
		return protocol.Element{Type: protocol.ElemSound, URL: c.URL, Size: c.Size, Duration: c.Second}, nil, nil
	case TIMVideoFileElem:
		var c VideoFileElem
		if err := content(&c); err != nil {
			return protocol.Element{}, nil, err
		}
		return protocol.Element{
			Type: protocol.ElemVideo, URL: c.VideoURL, Size: c.VideoSize, Duration: c.VideoSecond,
			ThumbURL: c.ThumbURL, Width: c.ThumbWidth, Height: c.ThumbHeight,
		}, nil, nil
	case TIMFileElem:
		var c FileElem
		if err := content(&c); err != nil {
			return protocol.Element{}, nil, err
		}
		return protocol.Element{Type: protocol.ElemFile, URL: c.URL, Size: c.FileSize, Name: c.FileName}, nil, nil
	case TIMLocationElem:
		var c LocationElem
		if err := content(&c); err != nil {
			return protocol.Element{}, nil, err
		}
		return protocol.Element{Type: protocol.ElemLocation, Desc: c.Desc, Latitude: c.Latitude, Longitude: c.Longitude}, nil, nil
	case TIMFaceElem:
		var c FaceElem
		if err := content(&c); err != nil {
			return protocol.Element{}, nil, err
		}
		return protocol.Element{Type: protocol.ElemFace, Index: c.Index, Data: c.Data}, nil, nil
	case "":
		return protocol.Element{}, nil, &Error{Code: CodeInvalidParam, Info: "MsgType is missing"}
	default:
		return protocol.Element{}, nil, &Error{Code: CodeInvalidParam, Info: fmt.Sprintf("MsgType %q is not supported (%s)", me.MsgType,
			strings.Join([]string{TIMTextElem, TIMCustomElem, TIMImageElem, TIMSoundElem, TIMVideoFileElem, TIMFileElem, TIMLocationElem, TIMFaceElem}, ", "))}
	}
}

// OfflinePushInfo is Tencent's per-message push info (§3.4 of the push reference;
// cloud.tencent.com/document/product/269/2720 "OfflinePushInfo").
type OfflinePushInfo struct {
	PushFlag    int // 0 push, 1 no offline push
	Title       string
	Desc        string
	Ext         string
	AndroidInfo *AndroidInfo
	ApnsInfo    *ApnsInfo
}

// AndroidInfo holds OfflinePushInfo's Android and per-vendor fields.
type AndroidInfo struct {
	Sound                    string
	PushStyle                int
	HuaWeiChannelID          string
	HuaWeiCategory           string
	HuaWeiImportance         string
	HuaWeiImage              string
	ExtAsHuaweiIntentParam   int
	XiaoMiChannelID          string
	OPPOChannelID            string
	OPPOCategory             string
	OPPONotifyLevel          int
	OPPOPrivateMsgTemplateID string `json:"OPPOPrivateMsgTemplateId"`
	VIVOClassification       *int
	VIVOCategory             string
	VIVONotifyType           int
	GoogleChannelID          string
	GoogleImage              string
	GooglePriority           string
	HonorImportance          string
	HonorImage               string
	MeiZuNoticeMsgType       *int
}

// ApnsInfo holds OfflinePushInfo's APNs fields.
type ApnsInfo struct {
	Sound          string
	BadgeMode      int // 0 count this push in the badge, 1 leave the badge alone
	Title          string
	SubTitle       string
	Image          string
	MutableContent int // 1 sets mutable-content
}

// pushInfo turns Tencent's OfflinePushInfo into Herald's, adding what a custom element
// says for APNs (its Ext and Sound) where the push info does not. It returns nil when
// there is nothing to say.
func pushInfo(in *OfflinePushInfo, custom []CustomElem) *protocol.OfflinePushInfo {
	out := &protocol.OfflinePushInfo{}
	if in != nil {
		out.DisablePush = in.PushFlag == 1
		out.Title, out.Desc, out.Ext = in.Title, in.Desc, in.Ext
		if a := in.AndroidInfo; a != nil {
			out.AndroidSound = a.Sound
			out.HuaweiCategory, out.HuaweiImportance, out.HuaweiImage = a.HuaWeiCategory, a.HuaWeiImportance, a.HuaWeiImage
			out.XiaomiChannelID = a.XiaoMiChannelID
			out.OPPOChannelID, out.OPPOCategory, out.OPPONotifyLevel = a.OPPOChannelID, a.OPPOCategory, a.OPPONotifyLevel
			out.OPPOTemplateID = a.OPPOPrivateMsgTemplateID
			out.VivoClassification, out.VivoCategory = a.VIVOClassification, a.VIVOCategory
			out.FCMChannelID, out.FCMImage = a.GoogleChannelID, a.GoogleImage
			out.HonorImportance, out.HonorImage = a.HonorImportance, a.HonorImage
			out.MeizuNoticeMsgType = a.MeiZuNoticeMsgType
		}
		if a := in.ApnsInfo; a != nil {
			out.IOSSound = a.Sound
			out.IgnoreIOSBadge = a.BadgeMode == 1
			// Herald has one title for every platform: the APNs title fills it only when
			// the shared one is empty.
			if out.Title == "" {
				out.Title = a.Title
			}
			out.IOSSubtitle, out.IOSImage = a.SubTitle, a.Image
			out.IOSMutableContent = a.MutableContent == 1
		}
	}
	for _, c := range custom {
		if out.Ext == "" {
			out.Ext = c.Ext
		}
		if out.IOSSound == "" {
			out.IOSSound = c.Sound
		}
	}
	if *out == (protocol.OfflinePushInfo{}) {
		return nil
	}
	return out
}
